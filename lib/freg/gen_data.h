/* Reference tables of the population generator (private to lib/freg). */
#ifndef PORTEN_FREG_GEN_DATA_H
#define PORTEN_FREG_GEN_DATA_H

#include <stddef.h>

#include "porten/freg_gen.h"

struct gen_namelist { const char *const *v; size_t n; };

struct gen_country {
	const char *alpha3, *alpha2;
	unsigned weight;                 /* per cent among foreign citizens */
	struct gen_namelist female, male, surname;
	const char *city, *street, *postcode;   /* postcode may be NULL */
	const char *idtype;              /* kind of national identifier, as text */
};

struct gen_abroad { const char *alpha3, *alpha2, *city, *street, *postcode; };
struct gen_tjeneste { const char *virksomhet, *oppgave; };

extern const struct gen_namelist gen_female, gen_male, gen_surname, gen_street;
extern const struct gen_country gen_countries[];
extern const size_t gen_n_countries;
extern const struct gen_abroad gen_abroad[];
extern const size_t gen_n_abroad;
extern const struct gen_tjeneste gen_tjenester[];
extern const size_t gen_n_tjenester;
extern const char *const gen_embeter[];
extern const size_t gen_n_embeter;
extern const char *const gen_firms[];
extern const size_t gen_n_firms;

#endif
