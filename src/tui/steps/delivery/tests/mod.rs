//! Step 5 driven through the wizard.
