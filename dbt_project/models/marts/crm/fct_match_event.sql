{#- The matchmaking log, one row per event (its latest landed version), built incrementally.

    An incremental run reads only the events of batches newer than the newest batch the table holds,
    plus, for late events, every event whose updated_at falls in the look-back window (var
    crm_event_lookback_days, default 7) before the newest updated_at the table holds. For each such
    event it re-ranks all its landed versions (newest updated_at, then newest batch, as
    int_crm__match_events_deduplicated does) and replaces the row (unique_key event_id), so an
    incremental run gives the same rows as a full refresh. -#}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{%- set lookback_days = var('crm_event_lookback_days', 7) | int %}

with landed as (
    select * from {{ ref('stg_crm__match_events') }}
),

{% if is_incremental() %}
held as (
    select
        max(batch_id) as last_batch_id,
        max(updated_at) as last_updated_at
    from {{ this }}
),

changed as (
    select distinct landed.event_id
    from landed
    cross join held
    where
        held.last_batch_id is null
        or landed.batch_id > held.last_batch_id
        or landed.updated_at >= held.last_updated_at - interval '{{ lookback_days }} days'
),

candidates as (
    select landed.*
    from landed
    inner join changed
        on landed.event_id = changed.event_id
),
{% else %}
candidates as (
    select * from landed
),
{% endif %}

ranked as (
    select
        candidates.*,
        row_number() over (
            partition by candidates.event_id
            order by candidates.updated_at desc, candidates.batch_id desc
        ) as version_rank
    from candidates
)

select
    event_id,
    match_id,
    event_at,
    {{ shanghai_date('event_at') }} as event_date,
    stage,
    case stage
        when 'recommended' then 1
        when 'contacted' then 2
        when 'meeting' then 3
        when 'negotiation' then 4
        when 'signed' then 5
        when 'landed' then 6
    end as stage_rank,
    lost_reason,
    match_type,
    channel,
    committee,
    demand_party,
    supply_party,
    park_code,
    cluster_code,
    project_id,
    updated_at,
    data_origin,
    batch_id
from ranked
where version_rank = 1
