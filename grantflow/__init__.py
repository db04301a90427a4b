"""grantflow: grant paperwork for Norwegian inter-municipal cooperation.

The domain package: project register, data collection, validation, cost split,
document contexts and rendering. It never imports Prefect; ``flows/`` orchestrates it.
"""

__version__ = "0.1.0"
