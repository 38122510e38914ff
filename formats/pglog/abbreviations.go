package pglog

// abbreviations are the zone abbreviations that mean one offset wherever
// the tz database uses them for dates since 2000, so that a log line's
// "AEST" is UTC+10:00 even when neither the cluster's log_timezone nor the
// host's zone is known. Ambiguous ones are left out on purpose: CST (US
// Central, China, Cuba), IST (India, Ireland, Israel), BST, AST, ADT, CDT,
// PST (the Philippines use it too), SST, KST (Pyongyang's
// +08:30 in 2015-2018), MSK (+04:00 in 2011-2014), … — a log that uses them needs
// the log_timezone. TestAbbreviationsUnambiguous checks every entry
// against the tz database of the machine the tests run on.
var abbreviations = map[string]int{
	"WET": 0, "WEST": 1 * 3600, "CET": 1 * 3600, "CEST": 2 * 3600, "EET": 2 * 3600, "EEST": 3 * 3600,
	"SAST": 2 * 3600, "CAT": 2 * 3600, "EAT": 3 * 3600, "WAT": 1 * 3600,
	"JST": 9 * 3600, "HKT": 8 * 3600, "WIB": 7 * 3600, "WITA": 8 * 3600, "WIT": 9 * 3600,
	"PKT": 5 * 3600, "NZST": 12 * 3600, "NZDT": 13 * 3600,
	"AEST": 10 * 3600, "AEDT": 11 * 3600, "ACST": 9*3600 + 1800, "ACDT": 10*3600 + 1800, "AWST": 8 * 3600,
	"EST": -5 * 3600, "EDT": -4 * 3600, "MST": -7 * 3600, "MDT": -6 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600, "NST": -3*3600 - 1800, "NDT": -2*3600 - 1800,
}
