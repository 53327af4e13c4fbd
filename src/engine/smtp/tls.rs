//! STARTTLS on the client side (tokio-rustls with the ring provider). Mail servers often use
//! self-signed or mismatched certificates and MTAs deliver to them anyway, so any certificate is
//! accepted; whether it *would* have validated against the web PKI is recorded in [`TlsFacts`].

use std::sync::{Arc, LazyLock, Mutex};

use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    CryptoProvider, ring, verify_tls12_signature, verify_tls13_signature,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, OtherError, RootCertStore,
    SignatureScheme,
};

use crate::engine::judge::verdict::TlsFacts;
use crate::engine::net::BoxIo;

static PROVIDER: LazyLock<Arc<CryptoProvider>> =
    LazyLock::new(|| Arc::new(ring::default_provider()));

static WEB_PKI: LazyLock<Option<Arc<WebPkiServerVerifier>>> = LazyLock::new(|| {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), PROVIDER.clone())
        .build()
        .ok()
});

/// Why the web PKI would refuse a certificate, in words ("the certificate is a CA certificate
/// used as a server certificate"), not as rustls' debug form
/// (`Other(OtherError(CaUsedAsEndEntity))`).
pub fn certificate_problem(error: &Error) -> String {
    let Error::InvalidCertificate(problem) = error else {
        return error.to_string();
    };
    #[allow(deprecated)] // UnsupportedSignatureAlgorithm: still what older paths give
    let words = match problem {
        CertificateError::BadEncoding => "the certificate cannot be parsed",
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the certificate has expired"
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the certificate is not valid yet"
        }
        CertificateError::Revoked => "the certificate was revoked",
        CertificateError::UnhandledCriticalExtension => {
            "the certificate has a critical extension that cannot be checked"
        }
        CertificateError::UnknownIssuer => {
            "the certificate is not signed by an authority we trust (self-signed, or a private CA)"
        }
        CertificateError::UnknownRevocationStatus
        | CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => {
            "the certificate's revocation status cannot be checked"
        }
        CertificateError::BadSignature => "the certificate's signature is wrong",
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "the certificate is signed with an algorithm that is not supported"
        }
        CertificateError::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
            return format!(
                "the certificate is for another name ({})",
                presented.join(", ")
            );
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the certificate is for another name"
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the certificate is not issued for server authentication"
        }
        CertificateError::ApplicationVerificationFailure => "the certificate failed a check",
        CertificateError::Other(other) => return other_problem(other),
        _ => return error.to_string(),
    };
    words.to_string()
}

/// A certificate problem rustls passes on from webpki as an opaque error, by its name.
fn other_problem(other: &OtherError) -> String {
    let debug = format!("{other:?}");
    let inner = debug.strip_prefix("OtherError(").unwrap_or(&debug);
    let end = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    let name = &inner[..end];
    match name {
        "CaUsedAsEndEntity" => {
            "the certificate is a CA certificate used as a server certificate".to_string()
        }
        "EndEntityUsedAsCa" => {
            "a server certificate is used as a CA certificate in the chain".to_string()
        }
        "RequiredEkuNotFound" | "RequiredEkuNotFoundContext" => {
            "the certificate is not issued for server authentication".to_string()
        }
        "UnknownIssuer" => "the certificate is not signed by an authority we trust".to_string(),
        _ => format!("the certificate cannot be validated ({name})"),
    }
}

/// Accepts any certificate whose handshake signatures are valid, and remembers what the web
/// PKI would have said about it.
#[derive(Debug)]
struct RecordingVerifier {
    outcome: Mutex<Option<Result<(), String>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let outcome = match WEB_PKI.as_ref() {
            Some(pki) => pki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(|e| certificate_problem(&e)),
            None => Err("no root certificates available".to_string()),
        };
        *self.outcome.lock().expect("verifier lock") = Some(outcome);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &PROVIDER.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &PROVIDER.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        PROVIDER
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Runs the TLS handshake over `io` for `host`, returning the TLS stream and what it showed.
pub async fn handshake(io: BoxIo, host: &str) -> Result<(BoxIo, TlsFacts), String> {
    let verifier = Arc::new(RecordingVerifier {
        outcome: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(PROVIDER.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host:?} is not a TLS server name: {e}"))?;
    let stream = TlsConnector::from(Arc::new(config))
        .connect(name, io)
        .await
        .map_err(|e| e.to_string())?;
    let (_, connection) = stream.get_ref();
    let mut facts = TlsFacts {
        version: connection
            .protocol_version()
            .map(|v| format!("{v:?}").replace("TLSv1_", "TLSv1."))
            .unwrap_or_default(),
        cipher: connection
            .negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        ..TlsFacts::default()
    };
    if let Some(cert) = connection.peer_certificates().and_then(|c| c.first())
        && let Ok((_, parsed)) = x509_parser::parse_x509_certificate(cert.as_ref())
    {
        facts.subject = Some(parsed.subject().to_string());
        facts.issuer = Some(parsed.issuer().to_string());
    }
    match verifier.outcome.lock().expect("verifier lock").take() {
        Some(Ok(())) => facts.verified = true,
        Some(Err(e)) => facts.verify_error = Some(e),
        None => facts.verify_error = Some("no certificate presented".into()),
    }
    Ok((Box::new(stream), facts))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands in for webpki's error of the same name, which rustls passes on as `Other`.
    #[derive(Debug)]
    struct CaUsedAsEndEntity;

    impl std::fmt::Display for CaUsedAsEndEntity {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    impl std::error::Error for CaUsedAsEndEntity {}

    #[test]
    fn certificate_problems_are_said_in_words() {
        let other = CertificateError::Other(OtherError(Arc::new(CaUsedAsEndEntity)));
        let cases = [
            (
                other,
                "the certificate is a CA certificate used as a server certificate",
            ),
            (
                CertificateError::UnknownIssuer,
                "the certificate is not signed by an authority we trust (self-signed, or a private CA)",
            ),
            (CertificateError::Expired, "the certificate has expired"),
            (
                CertificateError::NotValidForNameContext {
                    expected: ServerName::try_from("mx.example").unwrap().to_owned(),
                    presented: vec!["DnsName(\"other.example\")".into()],
                },
                "the certificate is for another name (DnsName(\"other.example\"))",
            ),
        ];
        for (problem, words) in cases {
            let said = certificate_problem(&Error::InvalidCertificate(problem));
            assert_eq!(said, words);
            assert!(!said.contains("Other("), "{said}");
        }
        assert_eq!(
            certificate_problem(&Error::General("x".into())),
            Error::General("x".into()).to_string()
        );
    }
}
