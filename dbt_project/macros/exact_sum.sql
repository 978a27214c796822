{#- The exact sum of a floating-point amount, as a double. A double sum depends on the order its rows
    are added in, which a parallel aggregate does not fix: the same data could give marts that differ in
    their last bits from one run to the next. Each amount is rounded to 12 decimals (far below a fen)
    and summed as a decimal, which is exact and so the same in any order. `over` is a window clause.
    For amounts with a known bound (the CRM's, at most decimal(20, 2) in their currency; the World Bank's
    and the zone registry's): a decimal of 38 digits with 12 decimals holds sums up to 10^26. -#}
{% macro exact_sum(expression, over='') -%}
    cast(sum(cast({{ expression }} as decimal(38, 12))){% if over %} over ({{ over }}){% endif %} as double precision)
{%- endmacro %}

{#- The sum of a floating-point amount without a known bound (what park offices report: revenue, tax, R&D), the
    same in every run: the values are added in ascending order, so the order a parallel aggregate meets them
    in cannot show in the last bits. A decimal (exact_sum) would stop the whole build on one absurd amount
    that overflowed it; an ordered sum cannot overflow. Not for window functions. -#}
{% macro ordered_sum(expression) -%}
    sum({{ expression }} order by {{ expression }})
{%- endmacro %}
