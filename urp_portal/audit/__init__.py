"""The audit trail: who viewed citizens' data and who changed what. Ground level: it imports no
product app; the product apps call `audit_record`. Also the records of processing (GDPR art. 30)."""
