//! The SMTP commands mxknock can send. There is deliberately no DATA, BDAT, VRFY or EXPN here:
//! the only way bytes reach a server is [`Command::to_wire`], so no code path can send one.

/// A command we send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `EHLO name`
    Ehlo(String),
    /// `HELO name`
    Helo(String),
    /// `STARTTLS`
    StartTls,
    /// `MAIL FROM:<path>` with ` SMTPUTF8` when the address needs it.
    MailFrom { path: String, smtputf8: bool },
    /// `RCPT TO:<path>`
    RcptTo(String),
    /// `RSET`
    Rset,
    /// `NOOP`
    Noop,
    /// `QUIT`
    Quit,
}

/// A command that would put control bytes on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refusing to send a command holding control character {byte:#04x}")]
pub struct UnsafeCommand {
    /// The offending byte.
    pub byte: u8,
}

impl Command {
    /// The command line without CRLF, as shown in transcripts.
    pub fn line(&self) -> String {
        match self {
            Command::Ehlo(name) => format!("EHLO {name}"),
            Command::Helo(name) => format!("HELO {name}"),
            Command::StartTls => "STARTTLS".into(),
            Command::MailFrom { path, smtputf8 } => {
                let utf8 = if *smtputf8 { " SMTPUTF8" } else { "" };
                format!("MAIL FROM:<{path}>{utf8}")
            }
            Command::RcptTo(path) => format!("RCPT TO:<{path}>"),
            Command::Rset => "RSET".into(),
            Command::Noop => "NOOP".into(),
            Command::Quit => "QUIT".into(),
        }
    }

    /// The bytes to write, CRLF-terminated. Refuses any control byte inside the line, so even a
    /// bug upstream cannot smuggle a second command onto the wire.
    pub fn to_wire(&self) -> Result<Vec<u8>, UnsafeCommand> {
        let line = self.line();
        if let Some(&byte) = line.as_bytes().iter().find(|b| **b < 0x20 || **b == 0x7f) {
            return Err(UnsafeCommand { byte });
        }
        let mut bytes = line.into_bytes();
        bytes.extend_from_slice(b"\r\n");
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_commands() {
        let mail = Command::MailFrom {
            path: String::new(),
            smtputf8: false,
        };
        assert_eq!(mail.to_wire().unwrap(), b"MAIL FROM:<>\r\n");
        let utf8 = Command::MailFrom {
            path: "a@b.test".into(),
            smtputf8: true,
        };
        assert_eq!(utf8.line(), "MAIL FROM:<a@b.test> SMTPUTF8");
        assert_eq!(
            Command::RcptTo("x@y.test".into()).to_wire().unwrap(),
            b"RCPT TO:<x@y.test>\r\n"
        );
    }

    #[test]
    fn control_bytes_never_reach_the_wire() {
        for evil in [
            "x@y.test>\r\nDATA",
            "x\n@y.test",
            "x\0@y.test",
            "x\x7f@y.test",
            "x\t@y.test",
        ] {
            assert!(Command::RcptTo(evil.into()).to_wire().is_err(), "{evil:?}");
            assert!(Command::Ehlo(evil.into()).to_wire().is_err(), "{evil:?}");
        }
    }

    #[test]
    fn no_command_renders_data_or_other_delivery_verbs() {
        let all = [
            Command::Ehlo("h".into()),
            Command::Helo("h".into()),
            Command::StartTls,
            Command::MailFrom {
                path: "a@b.test".into(),
                smtputf8: true,
            },
            Command::RcptTo("a@b.test".into()),
            Command::Rset,
            Command::Noop,
            Command::Quit,
        ];
        for command in all {
            let verb = command
                .line()
                .split([' ', ':'])
                .next()
                .unwrap()
                .to_ascii_uppercase();
            assert!(
                ![
                    "DATA", "BDAT", "VRFY", "EXPN", "SEND", "SAML", "SOML", "TURN", "ETRN"
                ]
                .contains(&verb.as_str())
            );
        }
    }
}
