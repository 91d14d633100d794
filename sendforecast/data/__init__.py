"""Data layer: SEN2 release reader, LA's own files, taxonomies, geography, quality, example.

Modules, from the ground up: ``taxonomy`` (placements, needs, phases), ``geography``
(reorganisations), ``quality`` (``QualityReport``), ``sources`` (files, folders and zips
read as text); ``sen2_schema`` (the tables read), ``sen2_parse`` (one table -> tidy
parts), ``sen2`` (``load_sen2``, ``SEN2Data``); ``tables`` (``Table``, ``Col``) and
``local`` (the LA's files, witan.send files); ``example_params``,
``example_simulation``, ``example_files`` and ``example`` (the synthetic Exampleshire);
``download`` (releases from explore-education-statistics).  Nothing here imports from
above the data layer.
"""

from .quality import QualityReport
from .sen2 import SEN2Data, load_sen2

__all__ = ["QualityReport", "SEN2Data", "load_sen2"]
