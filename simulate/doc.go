// Package simulate generates a deterministic world of AI-chip custody
// events for chipledger: fabs and packaging sites in Taiwan, server OEMs,
// distributors, forwarders, carriers, banks, clouds and data centers in
// about forty countries across the export-control country groups, chips
// of several models commissioned, assembled into 8-GPU servers, packed,
// shipped, exported under the right licence or exception, received, sold,
// installed, attested weekly, returned and destroyed over twenty simulated
// months from 2024-07-01.
//
// Over that benign world it injects smuggling scenarios modelled on the
// real cases of the domain brief (ALX Solutions, Janford Realtor,
// Operation Gatekeeper, the server OEM serial transplant, Aperia Cloud,
// Megaspeed) and at least one scenario per red-flag rule R1 to R22, each
// with a benign near-threshold twin, and the untidiness of real feeds:
// clock skew between publishers, late and out-of-order delivery, retried
// duplicates (byte-identical lines) and corrections.
//
// The output is JSON Lines of events that events.Decode accepts, in their
// canonical form. The same Options give byte-identical output: every id,
// time and choice derives from the seed and simulated time, never from the
// wall clock or map order. Generation streams in simulated days: the
// benign world is a pure function of (seed, order index), recomputed per
// day, so memory does not grow with the number of chips.
//
// Truth describes what a correct detector raises on each scenario subject;
// WriteScreening writes the restricted parties in the US Consolidated
// Screening List CSV format. See docs/simulator.md.
package simulate
