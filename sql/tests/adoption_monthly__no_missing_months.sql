-- Months are contiguous: each row is exactly one month after the previous one.
select month, previous_month
from (
    select month, lag(month) over (order by month) as previous_month
    from marts.adoption_monthly
)
where previous_month is not null and month <> previous_month + interval 1 month
