-- adoption_monthly per owner (the short form of spec.owner; NULL = uncatalogued services), from
-- that owner's first service's month; the unfiltered result of
-- marts.adoption_grouped(dimension := 'owner').
select
    month, group_value as owner, services_created, golden_path_created, new_service_adoption,
    services_total, golden_path_total, overall_adoption, below_threshold, threshold, partial, period_end
from marts.adoption_grouped(dimension := 'owner')
order by owner nulls last, month
