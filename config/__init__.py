"""Configuration adapter: TOML files to validated domain agreements, with clear errors."""
