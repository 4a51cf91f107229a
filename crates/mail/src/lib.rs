//! Catalyst ITSM: email (MIME parsing and building, threading, reply stripping, SMTP, IMAP)
