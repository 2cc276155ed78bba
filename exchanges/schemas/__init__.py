"""The national schemas the exchange files are validated against (schema_Import_3.1.xsd:
IMPORT_ELEVES, the "import privé" a school's own software sends to SIECLE)."""
