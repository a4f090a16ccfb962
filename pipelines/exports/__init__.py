"""pathlens figures where platform teams already look: Prometheus/OpenMetrics (`openmetrics`),
Backstage Tech Insights facts (`backstage_facts`) and the small read-only HTTP server that
serves both (`server`). Every reader here opens only the published warehouse, through the
sandboxed read-only connection (`read`), and selects figures the SQL marts define."""
