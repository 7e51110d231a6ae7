"""An order service used to demonstrate errlint."""
