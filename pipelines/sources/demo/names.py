"""Word lists the demo organisation is named from (team domains, service nouns, people)."""

from __future__ import annotations

# Business domains; a team is `team-<word>` and owns the Kubernetes namespace `<word>`.
TEAM_WORDS = (
    "payments", "search", "checkout", "identity", "growth", "logistics", "billing",
    "notifications", "data-platform", "ml", "catalog", "pricing", "fraud", "messaging",
    "inventory", "mobile", "partners", "support", "analytics", "media", "maps", "ads",
    "trust", "onboarding", "loyalty", "recommendations", "shipping", "returns", "tax",
    "compliance", "reporting", "marketplace", "booking", "reviews", "content",
    "localization", "storage", "streaming", "accounts", "wallet", "rewards", "insights",
    "ledger", "risk", "sellers", "experiments", "orders", "subscriptions",
)

# What a service does; never "service", so `<name>-service` repo names stay unique.
NOUNS = (
    "api", "gateway", "worker", "indexer", "scheduler", "web", "frontend", "backend",
    "processor", "consumer", "publisher", "sync", "exporter", "importer", "router", "ingest",
    "store", "cache", "engine", "manager", "dispatcher", "tracker", "notifier", "validator",
    "resolver", "aggregator", "collector", "streamer", "bff", "admin", "portal", "console",
    "jobs", "cron", "webhooks", "events", "auth", "ranker", "scorer", "matcher", "builder",
    "renderer", "uploader", "proxy", "queue", "feed", "graph", "registry", "planner",
    "optimizer", "monitor", "reconciler", "auditor", "archiver", "classifier", "predictor",
    "trainer", "labeler", "emitter", "splitter",
)

QUALIFIERS = (
    "core", "edge", "batch", "realtime", "internal", "public", "legacy", "v2", "eu", "us",
    "partner", "bulk", "fast", "async", "ops",
)

# Parts of a monorepo: `<repo>-<part>` components.
MONOREPO_PARTS = ("web", "worker", "api", "jobs", "admin")

LIBRARY_WORDS = ("client", "sdk", "proto", "commons", "testkit", "schemas")

ORG_LIBRARIES = (
    "go-commons", "py-logging", "ts-ui-kit", "java-bom", "proto-schemas", "feature-flags-sdk",
    "observability-kit", "auth-middleware",
)

DOC_REPOS = ("engineering-handbook", "architecture-decisions", "runbooks", "api-guidelines")

EMPTY_REPOS = ("infra-terraform", "dotfiles", "hackathon-2024", "design-assets", "scratch")

# Upstream projects the organisation forked.
FORKS = (
    "grpc-gateway", "redis-operator", "kube-state-metrics", "opentelemetry-collector-contrib",
    "cert-manager", "argo-cd", "envoy", "terraform-provider-github", "renovate", "backstage",
    "karpenter", "external-dns", "vector", "loki", "tempo", "pgbouncer", "debezium", "keda",
    "velero", "trivy",
)

PEOPLE = (
    "alice-ng", "bkowalski", "carla-m", "dpatel", "eoin", "fatima-z", "gwen", "hiro-t",
    "ines-a", "jmorales", "kofi", "lena-s", "mateo", "nadia-k", "oskar", "priya-r", "quentin",
    "rosa-l", "sven", "tamar", "umar-h", "vera", "wei-chen", "xavi", "yuki", "zanele",
)

# GitHub's `language` for each language the organisation writes.
GITHUB_LANGUAGE = {
    "go": "Go",
    "python": "Python",
    "typescript": "TypeScript",
    "javascript": "JavaScript",
    "java": "Java",
    "kotlin": "Kotlin",
    "rust": "Rust",
}

# GitHub languages a repo can report when its code is not the bulk of it (spec says better).
MISLEADING_GITHUB_LANGUAGE = {
    "go": ("Shell", "Dockerfile", "HCL"),
    "python": ("Jupyter Notebook", "Shell", "Dockerfile"),
    "typescript": ("HTML", "CSS", "JavaScript"),
    "javascript": ("HTML", "CSS"),
    "java": ("Shell", "Groovy"),
    "kotlin": ("Java", "Shell"),
    "rust": ("Shell", "C"),
}
