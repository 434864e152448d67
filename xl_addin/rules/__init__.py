"""Rules and ratios: one engine over one values dictionary, for Excel, the CLI and the merge."""
