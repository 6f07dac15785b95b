/* Reference tables of the synthetic population generator (lib/freg/gen.c).
 *
 * Kommuner use the numbers in force from 2024-01-01 (after the split of Viken, Vestfold og
 * Telemark and Troms og Finnmark); every postnummer belongs to its kommune, with Posten's
 * poststedsnavn in capitals. Names are among the most common in Norway (SSB name
 * statistics); street names are generic ones found in most towns. */
#include <stddef.h>

#include "gen_data.h"

#define PS(...) ((const struct freg_gen_poststed[]){ __VA_ARGS__ })
#define K(nr, name, ...) { nr, name, PS(__VA_ARGS__), \
	sizeof(PS(__VA_ARGS__)) / sizeof(struct freg_gen_poststed) }

const struct freg_gen_kommune freg_gen_kommuner[] = {
	K("0301", "Oslo", { "0150", "OSLO" }, { "0170", "OSLO" }, { "0250", "OSLO" },
	  { "0255", "OSLO" }, { "0350", "OSLO" }, { "0354", "OSLO" }, { "0450", "OSLO" },
	  { "0460", "OSLO" }, { "0550", "OSLO" }, { "0560", "OSLO" }, { "0650", "OSLO" },
	  { "0660", "OSLO" }, { "0750", "OSLO" }, { "0770", "OSLO" }, { "0850", "OSLO" },
	  { "0870", "OSLO" }, { "0950", "OSLO" }, { "0970", "OSLO" }, { "1150", "OSLO" },
	  { "1250", "OSLO" }),
	K("4601", "Bergen", { "5003", "BERGEN" }, { "5006", "BERGEN" }, { "5007", "BERGEN" },
	  { "5011", "BERGEN" }, { "5014", "BERGEN" }, { "5015", "BERGEN" }, { "5018", "BERGEN" },
	  { "5089", "BERGEN" }, { "5141", "FYLLINGSDALEN" }, { "5221", "NESTTUN" }),
	K("5001", "Trondheim", { "7010", "TRONDHEIM" }, { "7011", "TRONDHEIM" },
	  { "7012", "TRONDHEIM" }, { "7013", "TRONDHEIM" }, { "7014", "TRONDHEIM" },
	  { "7030", "TRONDHEIM" }, { "7031", "TRONDHEIM" }, { "7033", "TRONDHEIM" },
	  { "7034", "TRONDHEIM" }, { "7040", "TRONDHEIM" }, { "7041", "TRONDHEIM" },
	  { "7042", "TRONDHEIM" }, { "7043", "TRONDHEIM" }, { "7050", "TRONDHEIM" },
	  { "7051", "TRONDHEIM" }, { "7052", "TRONDHEIM" }, { "7080", "HEIMDAL" }),
	K("1103", "Stavanger", { "4005", "STAVANGER" }, { "4006", "STAVANGER" },
	  { "4010", "STAVANGER" }, { "4014", "STAVANGER" }, { "4021", "STAVANGER" }),
	K("1108", "Sandnes", { "4306", "SANDNES" }, { "4307", "SANDNES" }, { "4318", "SANDNES" }),
	K("1106", "Haugesund", { "5527", "HAUGESUND" }, { "5528", "HAUGESUND" }),
	K("1124", "Sola", { "4050", "SOLA" }),
	K("1121", "Time", { "4340", "BRYNE" }),
	K("4627", "Askøy", { "5300", "KLEPPESTØ" }),
	K("4621", "Voss", { "5700", "VOSS" }),
	K("4614", "Stord", { "5411", "STORD" }),
	K("4647", "Sunnfjord", { "6800", "FØRDE" }),
	K("4640", "Sogndal", { "6856", "SOGNDAL" }),
	K("4602", "Kinn", { "6900", "FLORØ" }),
	K("5006", "Steinkjer", { "7713", "STEINKJER" }),
	K("5007", "Namsos", { "7800", "NAMSOS" }),
	K("5035", "Stjørdal", { "7500", "STJØRDAL" }),
	K("5037", "Levanger", { "7600", "LEVANGER" }),
	K("5038", "Verdal", { "7650", "VERDAL" }),
	K("5025", "Røros", { "7374", "RØROS" }),
	K("5028", "Melhus", { "7224", "MELHUS" }),
	K("1804", "Bodø", { "8006", "BODØ" }, { "8008", "BODØ" }),
	K("1806", "Narvik", { "8514", "NARVIK" }, { "8517", "NARVIK" }),
	K("1865", "Vågan", { "8300", "SVOLVÆR" }),
	K("1860", "Vestvågøy", { "8370", "LEKNES" }),
	K("1813", "Brønnøy", { "8900", "BRØNNØYSUND" }),
	K("5501", "Tromsø", { "9008", "TROMSØ" }, { "9009", "TROMSØ" }, { "9013", "TROMSØ" },
	  { "9019", "TROMSØ" }, { "9020", "TROMSDALEN" }),
	K("5503", "Harstad", { "9405", "HARSTAD" }),
	K("5601", "Alta", { "9510", "ALTA" }),
	K("5603", "Hammerfest", { "9600", "HAMMERFEST" }),
	K("5605", "Sør-Varanger", { "9900", "KIRKENES" }),
	K("5607", "Vadsø", { "9800", "VADSØ" }),
	K("4204", "Kristiansand", { "4608", "KRISTIANSAND S" }, { "4610", "KRISTIANSAND S" },
	  { "4614", "KRISTIANSAND S" }, { "4631", "KRISTIANSAND S" }),
	K("4203", "Arendal", { "4836", "ARENDAL" }, { "4838", "ARENDAL" }),
	K("4202", "Grimstad", { "4876", "GRIMSTAD" }),
	K("4205", "Lindesnes", { "4515", "MANDAL" }),
	K("4207", "Flekkefjord", { "4400", "FLEKKEFJORD" }),
	K("3905", "Tønsberg", { "3110", "TØNSBERG" }),
	K("3907", "Sandefjord", { "3210", "SANDEFJORD" }),
	K("3909", "Larvik", { "3256", "LARVIK" }),
	K("4003", "Skien", { "3724", "SKIEN" }),
	K("4001", "Porsgrunn", { "3921", "PORSGRUNN" }),
	K("3301", "Drammen", { "3015", "DRAMMEN" }, { "3024", "DRAMMEN" }),
	K("3303", "Kongsberg", { "3616", "KONGSBERG" }),
	K("3305", "Ringerike", { "3510", "HØNEFOSS" }),
	K("3201", "Bærum", { "1338", "SANDVIKA" }, { "1350", "LOMMEDALEN" }, { "1362", "HOSLE" },
	  { "1369", "STABEKK" }),
	K("3203", "Asker", { "1383", "ASKER" }, { "1384", "ASKER" }),
	K("3205", "Lillestrøm", { "2000", "LILLESTRØM" }, { "2010", "STRØMMEN" }),
	K("3207", "Nordre Follo", { "1400", "SKI" }, { "1412", "SOFIEMYR" }),
	K("3209", "Ullensaker", { "2050", "JESSHEIM" }),
	K("3107", "Fredrikstad", { "1606", "FREDRIKSTAD" }),
	K("3105", "Sarpsborg", { "1710", "SARPSBORG" }),
	K("3103", "Moss", { "1530", "MOSS" }),
	K("3101", "Halden", { "1776", "HALDEN" }),
	K("3403", "Hamar", { "2317", "HAMAR" }, { "2318", "HAMAR" }),
	K("3405", "Lillehammer", { "2609", "LILLEHAMMER" }, { "2615", "LILLEHAMMER" }),
	K("3407", "Gjøvik", { "2815", "GJØVIK" }, { "2821", "GJØVIK" }),
	K("3401", "Kongsvinger", { "2212", "KONGSVINGER" }),
	K("1508", "Ålesund", { "6002", "ÅLESUND" }, { "6003", "ÅLESUND" }),
	K("1506", "Molde", { "6411", "MOLDE" }, { "6415", "MOLDE" }),
	K("1505", "Kristiansund", { "6509", "KRISTIANSUND N" }),
};
const size_t freg_gen_n_kommuner = sizeof(freg_gen_kommuner) / sizeof(freg_gen_kommuner[0]);

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const female_[] = {
	"Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg",
	"Hilde", "Anna", "Solveig", "Marianne", "Randi", "Ida", "Nina", "Maria", "Elisabeth",
	"Kristin", "Bente", "Heidi", "Silje", "Hanne", "Gerd", "Linda", "Tone", "Elin", "Anita",
	"Wenche", "Camilla", "Ragnhild", "Karin", "Ellen", "Tove", "Julie", "Sara", "Emma",
	"Nora", "Sofie", "Ingeborg", "Olivia", "Thea", "Emilie", "Maja", "Sigrid", "Vilde",
	"Ingvild", "Mari", "Malin", "Åse", "Turid", "Gunn", "Torill", "Frida", "Live", "Hedda",
};
static const char *const male_[] = {
	"Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Svein", "Arne", "Thomas",
	"Hans", "Geir", "Tor", "Morten", "Terje", "Odd", "Erik", "Martin", "Andreas", "John",
	"Anders", "Rune", "Trond", "Tore", "Jon", "Harald", "Olav", "Gunnar", "Kristian",
	"Espen", "Stian", "Øyvind", "Håkon", "Magnus", "Jonas", "Eirik", "Sindre", "Henrik",
	"Fredrik", "Jakob", "Emil", "Noah", "Filip", "William", "Lucas", "Oskar", "Aksel",
	"Sverre", "Ivar", "Leif", "Einar", "Sigurd", "Steinar", "Frode", "Åge", "Vegard",
};
static const char *const surname_[] = {
	"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
	"Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
	"Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Henriksen", "Lund",
	"Halvorsen", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand",
	"Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen",
	"Mathisen", "Lie", "Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde", "Solheim",
	"Berge", "Moe", "Nygård", "Bakke", "Kristensen", "Fredriksen", "Holm", "Lien",
	"Hauge", "Christensen", "Andresen", "Nielsen", "Knudsen", "Evensen", "Sæther", "Aas",
	"Myhre", "Hanssen", "Ahmed", "Haugland", "Thomassen", "Sivertsen", "Simonsen",
	"Danielsen", "Berntsen", "Sandvik", "Rønning", "Arnesen", "Antonsen", "Næss",
};
static const char *const street_[] = {
	"Storgata", "Kirkegata", "Skoleveien", "Parkveien", "Bjørkeveien", "Granveien",
	"Industriveien", "Kongens gate", "Dronningens gate", "Nygata", "Torggata",
	"Strandveien", "Solbakken", "Furuveien", "Eikeveien", "Lønneveien", "Rognveien",
	"Heggeveien", "Kirkeveien", "Stasjonsveien", "Fjellveien", "Bakkeveien", "Åsveien",
	"Sjøgata", "Havnegata", "Prestegårdsveien", "Linneaveien", "Blåklokkeveien",
	"Rosenveien", "Tunveien", "Markveien", "Skogveien", "Myrveien", "Elvegata",
	"Jernbanegata", "Idrettsveien", "Hagegata", "Sentrumsveien", "Tollbugata",
	"Gamle kongevei",
};

static const char *const pol_f_[] = { "Anna", "Katarzyna", "Maria", "Małgorzata", "Agnieszka", "Magdalena" };
static const char *const pol_m_[] = { "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał" };
static const char *const pol_s_[] = { "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski" };
static const char *const ltu_f_[] = { "Rūta", "Jurgita", "Inga", "Laura", "Kristina" };
static const char *const ltu_m_[] = { "Tomas", "Mindaugas", "Darius", "Andrius", "Vytautas" };
static const char *const ltu_s_[] = { "Kazlauskas", "Jankauskas", "Petrauskas", "Stankevičius", "Vasiliauskas" };
static const char *const swe_f_[] = { "Karin", "Lena", "Kerstin", "Elin", "Linnéa" };
static const char *const swe_m_[] = { "Lars", "Mikael", "Anders", "Johan", "Erik" };
static const char *const swe_s_[] = { "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Lindqvist" };
static const char *const deu_f_[] = { "Sabine", "Petra", "Julia", "Katrin", "Monika" };
static const char *const deu_m_[] = { "Thomas", "Stefan", "Michael", "Andreas", "Jürgen" };
static const char *const deu_s_[] = { "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker" };
static const char *const som_f_[] = { "Fadumo", "Hodan", "Amina", "Sahra", "Hibaaq" };
static const char *const som_m_[] = { "Abdirahman", "Mohamed", "Abdullahi", "Hassan", "Abdi" };
static const char *const som_s_[] = { "Ali", "Mohamed", "Hassan", "Abdi", "Farah", "Warsame" };
static const char *const syr_f_[] = { "Fatima", "Rama", "Lina", "Hiba", "Nour" };
static const char *const syr_m_[] = { "Ahmad", "Mohammad", "Omar", "Khaled", "Yousef" };
static const char *const syr_s_[] = { "Alhassan", "Alahmad", "Khalil", "Haddad", "Darwish", "Alali" };
static const char *const ukr_f_[] = { "Olena", "Iryna", "Tetiana", "Natalia", "Oksana" };
static const char *const ukr_m_[] = { "Oleksandr", "Serhii", "Andrii", "Dmytro", "Volodymyr" };
static const char *const ukr_s_[] = { "Melnyk", "Shevchenko", "Bondarenko", "Kovalenko", "Tkachenko" };

#define NL(a) { a, N(a) }
const struct gen_namelist gen_female = NL(female_);
const struct gen_namelist gen_male = NL(male_);
const struct gen_namelist gen_surname = NL(surname_);
const struct gen_namelist gen_street = NL(street_);

/* Citizenships of immigrants and d-number holders, with weights summing to 100. */
const struct gen_country gen_countries[] = {
	{ "POL", "PL", 30, NL(pol_f_), NL(pol_m_), NL(pol_s_), "Gdańsk", "ul. Długa", "80-831",
	  "PESEL" },
	{ "LTU", "LT", 14, NL(ltu_f_), NL(ltu_m_), NL(ltu_s_), "Vilnius", "Gedimino prospektas",
	  "01103", "asmens kodas" },
	{ "SWE", "SE", 14, NL(swe_f_), NL(swe_m_), NL(swe_s_), "Stockholm", "Drottninggatan",
	  "111 51", "personnummer" },
	{ "DEU", "DE", 8, NL(deu_f_), NL(deu_m_), NL(deu_s_), "Berlin", "Friedrichstraße",
	  "10117", "Steuer-ID" },
	{ "SOM", "SO", 10, NL(som_f_), NL(som_m_), NL(som_s_), "Mogadishu", "Maka Al Mukarama",
	  NULL, "national ID" },
	{ "SYR", "SY", 12, NL(syr_f_), NL(syr_m_), NL(syr_s_), "Damaskus", "Baghdad Street", NULL,
	  "national ID" },
	{ "UKR", "UA", 12, NL(ukr_f_), NL(ukr_m_), NL(ukr_s_), "Kyiv", "Khreshchatyk", "01001",
	  "RNOKPP" },
};
const size_t gen_n_countries = N(gen_countries);

/* Where emigrants go. */
const struct gen_abroad gen_abroad[] = {
	{ "SWE", "SE", "Stockholm", "Drottninggatan", "111 51" },
	{ "DNK", "DK", "København", "Vesterbrogade", "1620" },
	{ "ESP", "ES", "Torrevieja", "Calle Ramón Gallud", "03181" },
	{ "GBR", "GB", "London", "Baker Street", "NW1 6XE" },
	{ "USA", "US", "New York", "Broadway", "10007" },
	{ "DEU", "DE", "Berlin", "Friedrichstraße", "10117" },
	{ "FIN", "FI", "Helsinki", "Mannerheimintie", "00100" },
	{ "AUS", "AU", "Sydney", "George Street", "2000" },
};
const size_t gen_n_abroad = N(gen_abroad);

/* (vergeTjenestevirksomhet, vergeTjenesteoppgave) pairs of spec 3.8. */
const struct gen_tjeneste gen_tjenester[] = {
	{ "nav", "arbeid" },
	{ "skatteetaten", "endrePostadresse" },
	{ "kartverket", "arvPrivatSkifteOgUskifte" },
	{ "oevrige", "avslutningAvHusleiekontrakter" },
	{ "bank", "representasjonDagligbank" },
};
const size_t gen_n_tjenester = N(gen_tjenester);

const char *const gen_embeter[] = {
	"statsforvalterenIOsloOgViken", "statsforvalterenIVestland", "statsforvalterenITroendelag",
	"statsforvalterenIRogaland", "statsforvalterenINordland", "statsforvalterenIAgder",
	"statsforvalterenIInnlandet", "statsforvalterenITromsOgFinnmark",
	"statsforvalterenIMoereOgRomsdal", "statsforvalterenIVestfoldOgTelemark",
};
const size_t gen_n_embeter = N(gen_embeter);

const char *const gen_firms[] = {
	"Advokatfirmaet Nordmann AS", "Advokatfirmaet Fjord DA", "Advokatkontoret Berg og Lie AS",
	"Advokatfirmaet Sentrum AS", "Advokatfellesskapet Vest ANS",
};
const size_t gen_n_firms = N(gen_firms);
