"""The funnel's numbers, its charts and the PDF report."""
