-- One row per deploy of a service: a Kubernetes rollout (a ReplicaSet its Deployment owns, at
-- the ReplicaSet's creation) or a GitHub deployment (at its creation, with its latest status;
-- a repo's deployments belong to each of its services). production: the cluster context is in
-- kubernetes.production_contexts, or the environment (case-insensitive) is in
-- deploys.production_environments.
select
    service,
    repo,
    'kubernetes' as source,
    cluster,
    namespace,
    null::varchar as environment,
    created_at as deployed_at,
    revision,
    'rolled_out' as status,
    production,
    deployment as name
from staging.k8s_rollouts

union all

select
    sv.service,
    d.repo,
    'github' as source,
    null as cluster,
    null as namespace,
    d.environment,
    d.created_at as deployed_at,
    null as revision,
    d.status_state as status,
    list_contains(list_transform(s.production_environments, lambda e: lower(e)), lower(d.environment)) as production,
    d.deployment_id::varchar as name
from raw.deployments as d
join staging.services as sv on sv.repo = d.repo
cross join staging.settings as s
