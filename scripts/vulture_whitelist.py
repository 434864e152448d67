"""Names vulture (80 % confidence) takes for dead code that something outside Python's call graph
uses. Each line names the user; scripts/test.sh runs ``vulture`` with this file (pyproject.toml)."""

# typer: the --version option's value is handled by its eager callback (_show_version), the
# parameter only declares the option (xl_addin/cli.py, _root)
show_version  # noqa: B018, F821
