{#- Amounts in a contract's currency converted to yuan and US dollars at one year's average rate, the
    contract of int_fx_rates_yearly: CNY = amount x cny_per_unit, USD = CNY / cny_per_usd; an amount in
    CNY is its own yuan amount, one in USD its own dollar amount (exact). Without WDI rates (a run
    without PARK_REFERENCE_DIR) a conversion that needs a rate is null. Used by every model that
    converts (fct_investment_project: the contract at its signing year; int_crm__payments_current: each
    payment at its payment year), so that one rule converts them all. -#}

{#- The join to the year's rates of a currency: the relation alias fx carries rate_year_used,
    cny_per_unit and cny_per_usd (null columns when the year or the currency has no rate). -#}
{% macro fx_rates_join(currency_column, year_column, alias='fx') -%}
    left join {{ ref('int_fx_rates_yearly') }} as {{ alias }}
        on {{ currency_column }} = {{ alias }}.currency_code and {{ year_column }} = {{ alias }}.year
{%- endmacro %}

{#- Yuan per unit of the currency: 1 for CNY (with or without rates), else the joined rate. -#}
{% macro cny_per_unit(currency_column, alias='fx') -%}
    case when {{ currency_column }} = 'CNY' then 1.0 else {{ alias }}.cny_per_unit end
{%- endmacro %}

{#- An amount in yuan, given the yuan per unit of its currency. -#}
{% macro to_cny(amount_column, cny_per_unit_column) -%}
    cast({{ amount_column }} as double precision) * {{ cny_per_unit_column }}
{%- endmacro %}

{#- An amount in US dollars, given its currency, the yuan per unit and the yuan per dollar. -#}
{% macro to_usd(amount_column, currency_column, cny_per_unit_column, cny_per_usd_column) -%}
    case
        when {{ currency_column }} = 'USD' then cast({{ amount_column }} as double precision)
        else cast({{ amount_column }} as double precision) * {{ cny_per_unit_column }} / {{ cny_per_usd_column }}
    end
{%- endmacro %}
