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
from intermediate.k8s_rollouts

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
    d.production,
    d.deployment_id::varchar as name
from staging.deployments as d
join intermediate.services as sv on sv.repo = d.repo
