"""Files: uploads to the configured storage, metadata, downloads and access rules."""
