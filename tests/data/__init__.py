"""Tests of sendforecast.data, one file per module (real-data modules carry the realdata marker)."""
