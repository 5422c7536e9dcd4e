"""The Leads page: a filterable, sortable lead table beside one lead's detail and timeline."""
