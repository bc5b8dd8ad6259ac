"""The mail account of a workspace: its ``[mail]`` settings (server, security, login, sender;
``settings``) and the password in the operating system's credential store (``keystore``).
Below ``collect`` (its IMAP fetch logs in with them) and ``mail`` (sending)."""
