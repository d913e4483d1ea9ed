"""The review loop: people's labels on instructions, stratified review batches, Label Studio, the report."""
