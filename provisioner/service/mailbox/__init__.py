"""The email door: the fund's mailbox read over IMAP, each mail's workbooks, the threaded reply."""
