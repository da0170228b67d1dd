"""Write-back: catalogs, forms and regimes, entry and upload, the approval chain, signatures,
audit and compliance. Services here take a Session and an Actor, check what the actor may do,
write, and record every change in the audit log; pages and the CLI only call them."""
