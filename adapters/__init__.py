"""Platform adapters: each turns its platform's events into shared events and carries out actions."""
