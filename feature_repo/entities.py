"""Entities: who or what a feature describes. Join keys are the normalized ids used in Silver."""

from feast import Entity, ValueType

# The buyer who owes the money: ERP customer number, leading zeros removed (0200769623 -> 200769623).
customer = Entity(
    name="customer",
    join_keys=["customer_id"],
    value_type=ValueType.STRING,
    description="A customer of the SME (normalized ERP customer number).",
)

# The seller's business unit / company code (U001, CA02, ...): the fallback when a customer is new.
business = Entity(
    name="business",
    join_keys=["business_code"],
    value_type=ValueType.STRING,
    description="The SME's business unit or company code that issued the invoice.",
)

# One invoice (document id as an integer string).
invoice = Entity(
    name="invoice",
    join_keys=["invoice_id"],
    value_type=ValueType.STRING,
    description="An accounts-receivable invoice (ERP document id).",
)
