"""Data layer: SEN2 release reader, LA's own files, taxonomies, geography, quality, example."""

from .quality import QualityReport
from .sen2 import SEN2Data, load_sen2

__all__ = ["QualityReport", "SEN2Data", "load_sen2"]
