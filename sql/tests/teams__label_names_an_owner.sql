-- severity: warn
-- Every team an exception label names owns a service: a label team matching no owner (after
-- teams.aliases) is a data-quality warning — its requests count for a team the catalog does
-- not know. Fix the label or add the spelling to teams.aliases.
select owner, owner_ref, exception_requests, exception_labels
from marts.teams
where not has_services
