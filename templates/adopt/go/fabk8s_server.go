// Code added by `fabk8s adopt`: runs this chaincode as a service (the peer dials it; see connection.json in the
// package) when CHAINCODE_SERVER_ADDRESS or CORE_CHAINCODE_ADDRESS is set, and the classic way (it dials the
// peer) otherwise. One image works whatever names the manifests use:
//
//	address: CHAINCODE_SERVER_ADDRESS | CORE_CHAINCODE_ADDRESS        (e.g. 0.0.0.0:{{port}})
//	id:      CHAINCODE_ID | CORE_CHAINCODE_ID | CORE_CHAINCODE_ID_NAME (the package ID, label:hash)
//	TLS:     CHAINCODE_TLS_KEY | CORE_CHAINCODE_TLS_KEY_FILE, CHAINCODE_TLS_CERT | CORE_CHAINCODE_TLS_CERT_FILE,
//	         CHAINCODE_CLIENT_CA_CERT | CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE; CHAINCODE_TLS_DISABLED=true turns TLS off

package {{goPackage}}

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	fabk8sshim "{{shimImport}}"
)

func fabk8sEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func fabk8sTLS() (fabk8sshim.TLSProperties, error) {
	keyFile := fabk8sEnv("CHAINCODE_TLS_KEY", "CORE_CHAINCODE_TLS_KEY_FILE")
	certFile := fabk8sEnv("CHAINCODE_TLS_CERT", "CORE_CHAINCODE_TLS_CERT_FILE")
	if strings.EqualFold(os.Getenv("CHAINCODE_TLS_DISABLED"), "true") || keyFile == "" || certFile == "" {
		return fabk8sshim.TLSProperties{Disabled: true}, nil
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return fabk8sshim.TLSProperties{}, fmt.Errorf("TLS key: %w", err)
	}
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return fabk8sshim.TLSProperties{}, fmt.Errorf("TLS cert: %w", err)
	}
	props := fabk8sshim.TLSProperties{Key: key, Cert: cert}
	if caFile := fabk8sEnv("CHAINCODE_CLIENT_CA_CERT", "CORE_CHAINCODE_TLS_CLIENT_CACERT_FILE"); caFile != "" {
		if props.ClientCACerts, err = os.ReadFile(caFile); err != nil {
			return fabk8sshim.TLSProperties{}, fmt.Errorf("TLS client CA: %w", err)
		}
	}
	return props, nil
}

// fabk8sStart starts cc: as a chaincode server when an address is set, else with shim.Start. It stops promptly,
// with exit code 0, on SIGTERM (pod deletion) and SIGINT.
func fabk8sStart(cc fabk8sshim.Chaincode) error {
	address := fabk8sEnv("CHAINCODE_SERVER_ADDRESS", "CORE_CHAINCODE_ADDRESS")
	if address == "" {
		return fabk8sshim.Start(cc)
	}
	id := fabk8sEnv("CHAINCODE_ID", "CORE_CHAINCODE_ID", "CORE_CHAINCODE_ID_NAME")
	if id == "" {
		return fmt.Errorf("chaincode server: CHAINCODE_ID (or CORE_CHAINCODE_ID_NAME) must be set")
	}
	tls, err := fabk8sTLS()
	if err != nil {
		return fmt.Errorf("chaincode server: %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		os.Exit(0)
	}()
	log.Printf("chaincode server: starting %s on %s (tls %v)", id, address, !tls.Disabled)
	server := &fabk8sshim.ChaincodeServer{CCID: id, Address: address, CC: cc, TLSProps: tls}
	return server.Start()
}
