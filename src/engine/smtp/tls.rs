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
    ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
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
                .map_err(|e| e.to_string()),
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
