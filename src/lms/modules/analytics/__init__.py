"""Analytics: three-tier dashboards computed in SQL."""
