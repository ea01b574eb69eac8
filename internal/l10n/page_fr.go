package l10n

import "sync"

// The serve page's French. (misspell, an English spelling checker, skips this
// file: see .golangci.yml.)

var pageMessagesFR = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"title":             "Configurer votre messagerie",
		"intro":             "Saisissez votre adresse e-mail : vous obtenez les réglages de votre logiciel de messagerie, un profil à installer et un conseil IMAP ou POP3 selon votre usage.",
		"email":             "Votre adresse e-mail",
		"name":              "Votre nom (facultatif, vu par vos correspondants)",
		"questions":         "Votre usage (facultatif)",
		"devices":           "Sur combien d'appareils lisez-vous ce courrier (ordinateur, téléphone, tablette) ?",
		"offline":           "Je dois pouvoir lire mon courrier sans connexion",
		"connectivity":      "Ma connexion Internet est",
		"conn.good":         "bonne",
		"conn.slow":         "lente",
		"conn.intermittent": "souvent coupée",
		"submit":            "Obtenir mes réglages",
		"advice":            "Notre conseil",
		"use":               "Utilisez %s.",
		"imap.plain":        "IMAP garde votre courrier sur le serveur : chaque appareil montre les mêmes messages et dossiers.",
		"pop3.plain":        "POP3 télécharge votre courrier sur un appareil, qui le conserve.",
		"not.offered":       "Votre service de messagerie ne propose pas %s : les réglages ci-dessous utilisent %s.",
		"why":               "Pourquoi",
		"settings":          "Vos réglages",
		"incoming":          "Courrier entrant",
		"outgoing":          "Courrier sortant",
		"col.protocol":      "Protocole",
		"col.server":        "Serveur",
		"col.port":          "Port",
		"col.security":      "Sécurité",
		"col.username":      "Nom d'utilisateur",
		"sec.tls":           "SSL/TLS",
		"sec.starttls":      "STARTTLS",
		"password":          "Mot de passe : celui de votre messagerie. Il n'est jamais dans un profil : votre application le demande.",
		"leave":             "POP3 : garder une copie sur le serveur %d jours après le téléchargement.",
		"download":          "Installer",
		"apple":             "Profil pour iPhone, iPad et Mac",
		"apple.help":        "Ouvrez-le sur l'appareil, puis Réglages › Profil téléchargé › Installer.",
		"thunderbird":       "Fichier de configuration Thunderbird",
		"thunderbird.help":  "Thunderbird trouve ces réglages seul quand vous ajoutez le compte ; ce fichier est pour votre administrateur.",
		"qr":                "Scannez ce code avec l'appareil photo de votre téléphone pour ouvrir le profil sur le téléphone.",
		"qr.label":          "Code QR du lien vers le profil",
		"again":             "Une autre adresse",
		"error":             "Veuillez vérifier ceci :",
		"unknown.domain":    "Ce serveur n'a pas de réglages pour %s. Demandez à qui gère votre messagerie, ou utilisez la page d'aide de votre fournisseur.",
		"bad.email":         "%s n'est pas une adresse de messagerie complète : elle doit ressembler à nom@exemple.fr.",
		"bad.name":          "Votre nom ne peut contenir ni saut de ligne ni caractère de contrôle, et 200 caractères au plus.",
		"bad.devices":       "Choisissez combien d'appareils lisent ce courrier : de 1 à 6.",
		"bad.connectivity":  "Choisissez l'un des types de connexion proposés.",
		"internal.error":    "Un problème est survenu sur ce serveur. Réessayez plus tard, ou demandez à qui gère votre messagerie.",
		"lang.other":        "English",
		"lang.other.code":   "en",
		"footer":            "Réalisé avec mailadvisor. Connexions chiffrées uniquement (RFC 8314).",
	}
})

var pageRuleWordsFR = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"multi-device":                "Vous lisez votre courrier sur {devices} appareils : IMAP garde lectures, classements et suppressions identiques sur tous.",
		"single-device":               "Un seul appareil suffit à POP3 : il télécharge votre courrier une fois et le conserve.",
		"mobile-users":                "Vous lisez votre courrier en déplacement : avec IMAP, il vous suit.",
		"slow-connection":             "Votre connexion est lente : POP3 télécharge chaque message une fois, IMAP dialogue sans cesse avec le serveur.",
		"intermittent-connection":     "Votre connexion est souvent coupée : avec POP3, tout le courrier déjà téléchargé reste lisible.",
		"offline-access":              "Vous devez lire votre courrier hors connexion : POP3 garde chaque message sur votre appareil.",
		"single-copy-risk":            "Si votre appareil est perdu ou en panne, POP3 perdrait la seule copie de votre courrier ; IMAP la garde sur le serveur.",
		"endpoint-backups":            "Votre appareil est sauvegardé, ce qui couvre le risque de perte de POP3.",
		"very-small-setup":            "Pour une seule personne, POP3 ne demande presque rien au serveur.",
		"archiving":                   "Un courrier gardé des années se recherche et s'archive mieux sur le serveur.",
		"quota-exceeded":              "Votre boîte dépasserait l'espace du serveur ; POP3 l'en décharge.",
		"heavy-attachments-poor-link": "Beaucoup de grosses pièces jointes sur une connexion faible : les télécharger une fois évite des transferts.",
		"environment":                 "POP3 émet moins de CO2 pour le même usage.",
		"environment-imap":            "IMAP émet ici moins de CO2.",
	}
})
