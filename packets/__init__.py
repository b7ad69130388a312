"""Weekly case-review packets: one profile per youth on a meeting's agenda (`safetynet packet`)."""
