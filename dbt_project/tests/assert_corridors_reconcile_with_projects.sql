-- Every signed inbound foreign project into a park sits in exactly one corridor of its year.
with facts as (
    select cast(extract(year from signed_date) as integer) as signed_year, count(*) as projects
    from {{ ref('fct_investment_project') }}
    where signed_date is not null and park_id is not null and direction = 'inbound_foreign'
    group by cast(extract(year from signed_date) as integer)
),

corridors as (
    select signed_year, sum(projects) as projects
    from {{ ref('mart_investment_corridors_year') }}
    group by signed_year
)

select
    coalesce(facts.signed_year, corridors.signed_year) as signed_year,
    facts.projects as fact_projects,
    corridors.projects as corridor_projects
from facts
full outer join corridors
    on facts.signed_year = corridors.signed_year
where facts.projects is null or corridors.projects is null or facts.projects <> corridors.projects
