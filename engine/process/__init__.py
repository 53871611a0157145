"""The torch-owning child process: its protocol, workbench, worker and the parent's handle."""
