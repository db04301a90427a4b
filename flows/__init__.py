"""Prefect orchestration over the grantflow domain package: thin flows, one task per step.

- ``documents``: application, status_report, final_report, grant_usage_report, cost_split
- ``deadline_watch``: runs whatever is due, once per due item, and reminds project leaders
- ``batch``: one kind of document for many projects with bounded parallelism
"""
