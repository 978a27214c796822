select
    member_id,
    committee
from {{ source('raw', 'alliance_member_committees') }}
