"""Open data: aggregated figures as HXL-tagged CSV (reports.opendata)."""

urlpatterns: list = []
