-- The WDI indicators side by side: one row per economy (country or World Bank aggregate) and year
-- with at least one observation of GDP, GDP growth, FDI net inflows or population.
select
    country_iso3,
    year,
    max(case when indicator_code = 'NY.GDP.MKTP.CD' then value end) as gdp_usd,
    max(case when indicator_code = 'NY.GDP.MKTP.KD.ZG' then value end) as gdp_growth_real_pct,
    max(case when indicator_code = 'BX.KLT.DINV.CD.WD' then value end) as fdi_net_inflows_usd,
    cast(max(case when indicator_code = 'SP.POP.TOTL' then value end) as bigint) as population
from {{ ref('stg_world_bank__indicators') }}
where
    value is not null
    and indicator_code in ('NY.GDP.MKTP.CD', 'NY.GDP.MKTP.KD.ZG', 'BX.KLT.DINV.CD.WD', 'SP.POP.TOTL')
group by country_iso3, year
