-- The latest landed version of each project: the one with the newest updated_at (ties: newest batch).
with ranked as (
    select
        *,
        row_number() over (partition by project_id order by updated_at desc, batch_id desc) as version_rank
    from {{ ref('stg_crm__investment_projects') }}
)

select * from ranked
where version_rank = 1
