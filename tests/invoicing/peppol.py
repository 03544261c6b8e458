"""Checking e-invoices in tests: the official Peppol BIS Billing 3.0 / EN 16931 rules
(`../shared/peppol/validate.py`, compiled once per test session) and the UBL 2.1 schema's element
order. For invoices and credit notes alike:

    from tests.invoicing.peppol import assert_passes, assert_ubl_order
    assert_passes(xml_bytes)      # no fatal failure of either rule set
    assert_ubl_order(xml_bytes)   # well-formed; every element's children in the schema's order
"""

import os
import sys
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

PEPPOL_DIR = Path(
    os.environ.get("PEPPOL_DIR") or Path(__file__).resolve().parents[2].parent / "shared" / "peppol"
)
NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


@cache
def _validate():
    """validate.py's `validate`, its stylesheets compiled (a few seconds) the first time only."""
    if not (PEPPOL_DIR / "validate.py").exists():
        raise RuntimeError(f"The Peppol rules are not at {PEPPOL_DIR} (set PEPPOL_DIR to the shared folder)")
    sys.path.insert(0, str(PEPPOL_DIR))
    from validate import validate

    validate((PEPPOL_DIR / "examples" / "invoice-base.xml").read_bytes())  # compile now, once
    return validate


def failures(xml: bytes) -> list:
    """Every failed rule: [Failure(flag, rule, text, location)]."""
    return _validate()(xml)


def fatal_rules(xml: bytes) -> set[str]:
    return {f.rule for f in failures(xml) if f.flag == "fatal"}


def assert_passes(xml: bytes) -> None:
    """The document passes the Peppol BIS Billing 3.0 rules: no failure flagged fatal."""
    fatal = [f for f in failures(xml) if f.flag == "fatal"]
    assert not fatal, "\n".join(f"{f.rule}: {f.text} at {f.location}" for f in fatal)


# The children each UBL 2.1 type allows, in the order its XML Schema (xsdrt, OASIS UBL 2.1
# os) gives them; keyed by the elements of those types that our documents write.
_ADDRESS = (
    "cbc:ID cbc:AddressTypeCode cbc:AddressFormatCode cbc:Postbox cbc:Floor cbc:Room cbc:StreetName "
    "cbc:AdditionalStreetName cbc:BlockName cbc:BuildingName cbc:BuildingNumber cbc:InhouseMail "
    "cbc:Department cbc:MarkAttention cbc:MarkCare cbc:PlotIdentification cbc:CitySubdivisionName "
    "cbc:CityName cbc:PostalZone cbc:CountrySubentity cbc:CountrySubentityCode cbc:Region cbc:District "
    "cbc:TimezoneOffset cac:AddressLine cac:Country cac:LocationCoordinate"
)
_TAX_CATEGORY = (
    "cbc:ID cbc:Name cbc:Percent cbc:BaseUnitMeasure cbc:PerUnitAmount cbc:TaxExemptionReasonCode "
    "cbc:TaxExemptionReason cbc:TierRange cbc:TierRatePercent cac:TaxScheme"
)
_DOCUMENT_REFERENCE = (
    "cbc:ID cbc:CopyIndicator cbc:UUID cbc:IssueDate cbc:IssueTime cbc:DocumentTypeCode cbc:DocumentType "
    "cbc:XPath cbc:LanguageID cbc:LocaleCode cbc:VersionID cbc:DocumentStatusCode cbc:DocumentDescription "
    "cac:Attachment cac:ValidityPeriod cac:IssuerParty cac:ResultOfVerification"
)
SCHEMA_ORDER = {
    "inv:Invoice": (
        "ext:UBLExtensions cbc:UBLVersionID cbc:CustomizationID cbc:ProfileID cbc:ProfileExecutionID "
        "cbc:ID cbc:CopyIndicator cbc:UUID cbc:IssueDate cbc:IssueTime cbc:DueDate cbc:InvoiceTypeCode "
        "cbc:Note cbc:TaxPointDate cbc:DocumentCurrencyCode cbc:TaxCurrencyCode cbc:PricingCurrencyCode "
        "cbc:PaymentCurrencyCode cbc:PaymentAlternativeCurrencyCode cbc:AccountingCostCode "
        "cbc:AccountingCost cbc:LineCountNumeric cbc:BuyerReference cac:InvoicePeriod cac:OrderReference "
        "cac:BillingReference cac:DespatchDocumentReference cac:ReceiptDocumentReference "
        "cac:StatementDocumentReference cac:OriginatorDocumentReference cac:ContractDocumentReference "
        "cac:AdditionalDocumentReference cac:ProjectReference cac:Signature cac:AccountingSupplierParty "
        "cac:AccountingCustomerParty cac:PayeeParty cac:BuyerCustomerParty cac:SellerSupplierParty "
        "cac:TaxRepresentativeParty cac:Delivery cac:DeliveryTerms cac:PaymentMeans cac:PaymentTerms "
        "cac:PrepaidPayment cac:AllowanceCharge cac:TaxExchangeRate cac:PricingExchangeRate "
        "cac:PaymentExchangeRate cac:PaymentAlternativeExchangeRate cac:TaxTotal cac:WithholdingTaxTotal "
        "cac:LegalMonetaryTotal cac:InvoiceLine"
    ),
    "cn:CreditNote": (
        "ext:UBLExtensions cbc:UBLVersionID cbc:CustomizationID cbc:ProfileID cbc:ProfileExecutionID "
        "cbc:ID cbc:CopyIndicator cbc:UUID cbc:IssueDate cbc:IssueTime cbc:TaxPointDate "
        "cbc:CreditNoteTypeCode cbc:Note cbc:DocumentCurrencyCode cbc:TaxCurrencyCode "
        "cbc:PricingCurrencyCode cbc:PaymentCurrencyCode cbc:PaymentAlternativeCurrencyCode "
        "cbc:AccountingCostCode cbc:AccountingCost cbc:LineCountNumeric cbc:BuyerReference "
        "cac:InvoicePeriod cac:DiscrepancyResponse cac:OrderReference cac:BillingReference "
        "cac:DespatchDocumentReference cac:ReceiptDocumentReference cac:ContractDocumentReference "
        "cac:AdditionalDocumentReference cac:StatementDocumentReference cac:OriginatorDocumentReference "
        "cac:Signature cac:AccountingSupplierParty cac:AccountingCustomerParty cac:PayeeParty "
        "cac:BuyerCustomerParty cac:SellerSupplierParty cac:TaxRepresentativeParty cac:Delivery "
        "cac:DeliveryTerms cac:PaymentMeans cac:PaymentTerms cac:TaxExchangeRate cac:PricingExchangeRate "
        "cac:PaymentExchangeRate cac:PaymentAlternativeExchangeRate cac:AllowanceCharge cac:TaxTotal "
        "cac:LegalMonetaryTotal cac:CreditNoteLine"
    ),
    "cac:InvoiceLine": (
        "cbc:ID cbc:UUID cbc:Note cbc:InvoicedQuantity cbc:LineExtensionAmount cbc:TaxPointDate "
        "cbc:AccountingCostCode cbc:AccountingCost cbc:PaymentPurposeCode cbc:FreeOfChargeIndicator "
        "cac:InvoicePeriod cac:OrderLineReference cac:DespatchLineReference cac:ReceiptLineReference "
        "cac:BillingReference cac:DocumentReference cac:PricingReference cac:OriginatorParty cac:Delivery "
        "cac:PaymentTerms cac:AllowanceCharge cac:TaxTotal cac:WithholdingTaxTotal cac:Item cac:Price "
        "cac:DeliveryTerms cac:SubInvoiceLine cac:ItemPriceExtension"
    ),
    "cac:CreditNoteLine": (
        "cbc:ID cbc:UUID cbc:Note cbc:CreditedQuantity cbc:LineExtensionAmount cbc:TaxPointDate "
        "cbc:AccountingCostCode cbc:AccountingCost cbc:PaymentPurposeCode cbc:FreeOfChargeIndicator "
        "cac:InvoicePeriod cac:OrderLineReference cac:DiscrepancyResponse cac:DespatchLineReference "
        "cac:ReceiptLineReference cac:BillingReference cac:DocumentReference cac:PricingReference "
        "cac:OriginatorParty cac:Delivery cac:PaymentTerms cac:TaxTotal cac:AllowanceCharge cac:Item "
        "cac:Price cac:DeliveryTerms cac:SubCreditNoteLine cac:ItemPriceExtension"
    ),
    "cac:AccountingSupplierParty": (
        "cbc:CustomerAssignedAccountID cbc:AdditionalAccountID cbc:DataSendingCapability cac:Party "
        "cac:DespatchContact cac:AccountingContact cac:SellerContact"
    ),
    "cac:AccountingCustomerParty": (
        "cbc:CustomerAssignedAccountID cbc:SupplierAssignedAccountID cbc:AdditionalAccountID cac:Party "
        "cac:DeliveryContact cac:AccountingContact cac:BuyerContact"
    ),
    "cac:Party": (
        "cbc:MarkCareIndicator cbc:MarkAttentionIndicator cbc:WebsiteURI cbc:LogoReferenceID "
        "cbc:EndpointID cbc:IndustryClassificationCode cac:PartyIdentification cac:PartyName "
        "cac:Language cac:PostalAddress cac:PhysicalLocation cac:PartyTaxScheme cac:PartyLegalEntity "
        "cac:Contact cac:Person cac:AgentParty cac:ServiceProviderParty cac:PowerOfAttorney "
        "cac:FinancialAccount"
    ),
    "cac:PartyIdentification": "cbc:ID",
    "cac:PartyName": "cbc:Name",
    "cac:PostalAddress": _ADDRESS,
    "cac:AddressLine": "cbc:Line",
    "cac:Country": "cbc:IdentificationCode cbc:Name",
    "cac:PartyTaxScheme": (
        "cbc:RegistrationName cbc:CompanyID cbc:TaxLevelCode cbc:ExemptionReasonCode cbc:ExemptionReason "
        "cac:RegistrationAddress cac:TaxScheme"
    ),
    "cac:TaxScheme": "cbc:ID cbc:Name cbc:TaxTypeCode cbc:CurrencyCode cac:JurisdictionRegionAddress",
    "cac:PartyLegalEntity": (
        "cbc:RegistrationName cbc:CompanyID cbc:RegistrationDate cbc:RegistrationExpirationDate "
        "cbc:CompanyLegalFormCode cbc:CompanyLegalForm cbc:SoleProprietorshipIndicator "
        "cbc:CompanyLiquidationStatusCode cbc:CorporateStockAmount cbc:FullyPaidSharesIndicator "
        "cac:RegistrationAddress cac:CorporateRegistrationScheme cac:HeadOfficeParty cac:ShareholderParty"
    ),
    "cac:Contact": "cbc:ID cbc:Name cbc:Telephone cbc:Telefax cbc:ElectronicMail cbc:Note cac:OtherCommunication",
    "cac:OrderReference": (
        "cbc:ID cbc:SalesOrderID cbc:CopyIndicator cbc:UUID cbc:IssueDate cbc:IssueTime "
        "cbc:CustomerReference cbc:OrderTypeCode cac:DocumentReference"
    ),
    "cac:BillingReference": (
        "cac:InvoiceDocumentReference cac:SelfBilledInvoiceDocumentReference cac:CreditNoteDocumentReference "
        "cac:SelfBilledCreditNoteDocumentReference cac:DebitNoteDocumentReference "
        "cac:ReminderDocumentReference cac:AdditionalDocumentReference cac:BillingReferenceLine"
    ),
    "cac:InvoiceDocumentReference": _DOCUMENT_REFERENCE,
    "cac:PaymentMeans": (
        "cbc:ID cbc:PaymentMeansCode cbc:PaymentDueDate cbc:PaymentChannelCode cbc:InstructionID "
        "cbc:InstructionNote cbc:PaymentID cac:CardAccount cac:PayerFinancialAccount "
        "cac:PayeeFinancialAccount cac:CreditAccount cac:PaymentMandate cac:TradeFinancing"
    ),
    "cac:PayeeFinancialAccount": (
        "cbc:ID cbc:Name cbc:AliasName cbc:AccountTypeCode cbc:AccountFormatCode cbc:CurrencyCode "
        "cbc:PaymentNote cac:FinancialInstitutionBranch cac:Country"
    ),
    "cac:FinancialInstitutionBranch": "cbc:ID cbc:Name cac:FinancialInstitution cac:Address",
    "cac:PaymentTerms": (
        "cbc:ID cbc:PaymentMeansID cbc:PrepaidPaymentReferenceID cbc:Note cbc:ReferenceEventCode "
        "cbc:SettlementDiscountPercent cbc:PenaltySurchargePercent cbc:PaymentPercent cbc:Amount "
        "cbc:SettlementDiscountAmount cbc:PenaltyAmount cbc:PaymentTermsDetailsURI cbc:PaymentDueDate "
        "cbc:InstallmentDueDate cbc:InvoicingPartyReference cac:SettlementPeriod cac:PenaltyPeriod "
        "cac:ExchangeRate cac:ValidityPeriod"
    ),
    "cac:TaxTotal": "cbc:TaxAmount cbc:RoundingAmount cbc:TaxEvidenceIndicator cbc:TaxIncludedIndicator cac:TaxSubtotal",
    "cac:TaxSubtotal": (
        "cbc:TaxableAmount cbc:TaxAmount cbc:CalculationSequenceNumeric cbc:TransactionCurrencyTaxAmount "
        "cbc:Percent cbc:BaseUnitMeasure cbc:PerUnitAmount cbc:TierRange cbc:TierRatePercent cac:TaxCategory"
    ),
    "cac:TaxCategory": _TAX_CATEGORY,
    "cac:ClassifiedTaxCategory": _TAX_CATEGORY,
    "cac:LegalMonetaryTotal": (
        "cbc:LineExtensionAmount cbc:TaxExclusiveAmount cbc:TaxInclusiveAmount cbc:AllowanceTotalAmount "
        "cbc:ChargeTotalAmount cbc:PrepaidAmount cbc:PayableRoundingAmount cbc:PayableAmount "
        "cbc:PayableAlternativeAmount"
    ),
    "cac:InvoicePeriod": (
        "cbc:StartDate cbc:StartTime cbc:EndDate cbc:EndTime cbc:DurationMeasure cbc:DescriptionCode "
        "cbc:Description"
    ),
    "cac:AllowanceCharge": (
        "cbc:ID cbc:ChargeIndicator cbc:AllowanceChargeReasonCode cbc:AllowanceChargeReason "
        "cbc:MultiplierFactorNumeric cbc:PrepaidIndicator cbc:SequenceNumeric cbc:Amount cbc:BaseAmount "
        "cbc:AccountingCostCode cbc:AccountingCost cbc:PerUnitAmount cac:TaxCategory cac:TaxTotal "
        "cac:PaymentMeans"
    ),
    "cac:Item": (
        "cbc:Description cbc:PackQuantity cbc:PackSizeNumeric cbc:CatalogueIndicator cbc:Name "
        "cbc:HazardousRiskIndicator cbc:AdditionalInformation cbc:Keyword cbc:BrandName cbc:ModelName "
        "cac:BuyersItemIdentification cac:SellersItemIdentification cac:ManufacturersItemIdentification "
        "cac:StandardItemIdentification cac:CatalogueItemIdentification cac:AdditionalItemIdentification "
        "cac:CatalogueDocumentReference cac:ItemSpecificationDocumentReference cac:OriginCountry "
        "cac:CommodityClassification cac:TransactionConditions cac:HazardousItem cac:ClassifiedTaxCategory "
        "cac:AdditionalItemProperty cac:ManufacturerParty cac:InformationContentProviderParty "
        "cac:OriginAddress cac:ItemInstance cac:Certificate cac:Dimension"
    ),
    "cac:AdditionalItemProperty": (
        "cbc:ID cbc:Name cbc:NameCode cbc:TestMethod cbc:Value cbc:ValueQuantity cbc:ValueQualifier "
        "cbc:ImportanceCode cbc:ListValue cac:UsabilityPeriod cac:ItemPropertyGroup cac:RangeDimension "
        "cac:ItemPropertyRange"
    ),
    "cac:Price": (
        "cbc:PriceAmount cbc:BaseQuantity cbc:PriceChangeReason cbc:PriceTypeCode cbc:PriceType "
        "cbc:OrderableUnitFactorRate cac:ValidityPeriod cac:PriceList cac:AllowanceCharge "
        "cac:PricingExchangeRate"
    ),
}
_URI_PREFIX = {uri: prefix for prefix, uri in NS.items()}


def _prefixed(tag: str) -> str:
    uri, _, local = tag[1:].partition("}")
    return f"{_URI_PREFIX.get(uri, uri)}:{local}"


def assert_ubl_order(xml: bytes) -> ET.Element:
    """The document parses, and every element our documents write has only children its UBL 2.1
    type allows, in the schema's order, and none empty (PEPPOL-EN16931-R008). Returns the root."""
    root = ET.fromstring(xml)
    assert _prefixed(root.tag) in ("inv:Invoice", "cn:CreditNote"), root.tag
    for parent in root.iter():
        name = "root" if parent is root else _prefixed(parent.tag)
        children = [_prefixed(child.tag) for child in parent]
        if not children:
            assert (parent.text or "").strip(), f"{name} is empty"
            continue
        key = _prefixed(root.tag) if parent is root else name
        assert key in SCHEMA_ORDER, f"{key} has children but no schema order is known for it"
        allowed = SCHEMA_ORDER[key].split()
        unknown = [child for child in children if child not in allowed]
        assert not unknown, f"{key} may not contain {unknown}"
        positions = [allowed.index(child) for child in children]
        assert positions == sorted(positions), f"{key}'s children are out of the schema's order: {children}"
    return root
