-- One row per event: an event landed again after a correction keeps its newest version.
with ranked as (
    select
        *,
        row_number() over (partition by event_id order by updated_at desc, batch_id desc) as version_rank
    from {{ ref('stg_crm__match_events') }}
)

select * from ranked
where version_rank = 1
