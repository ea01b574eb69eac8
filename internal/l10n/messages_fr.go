package l10n

// french is the catalogue: each English text for people (the key, a
// fmt format) and its French. Every key must be here
// (TestEveryMessageInBothLanguages); misspell skips this file.
var french = map[string]string{}
