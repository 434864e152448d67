"""The YAML loader every data file goes through: libyaml's C parser when PyYAML has it (the
wheels do), about ten times faster than the pure-Python one; the same documents either way."""

from __future__ import annotations

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
