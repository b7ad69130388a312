"""De-identified outcomes reports with small-cell suppression (`safetynet report quarterly`)."""
