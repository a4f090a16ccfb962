-- One row per golden-path service, and per repo × called workflow × ref.
select kind, service, repo, golden_path, template_commit, count(*) as n
from marts.template_drift
group by all
having count(*) > 1
